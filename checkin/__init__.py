"""Events, rotating signed QR check-ins and captain approval."""
