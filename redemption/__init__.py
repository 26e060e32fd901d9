"""redemption"""
