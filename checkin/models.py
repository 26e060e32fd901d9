"""Tables of events and check-ins."""
