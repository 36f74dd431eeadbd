"""Decoders: raw transactions in, wallet movements out."""
