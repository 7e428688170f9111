"""Outbound webhooks: rendering per format, Standard Webhooks signing, and sending."""
