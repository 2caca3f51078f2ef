"""Ledgers (台账): old communities, dangerous housing, old buildings, facilities and equipment."""
