"""Redemption of points at partner shops."""
