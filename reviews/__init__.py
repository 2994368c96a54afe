"""Ratings, reviews and resource requests, with the emails they send. Built on papers and
accounts (it may import both, and neither imports it)."""
