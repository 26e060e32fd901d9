"""Tables of the reward catalogue and redemptions."""
