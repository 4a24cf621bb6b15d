"""Payments: the method chosen at checkout, its providers, and the payment and refund events of each order."""
