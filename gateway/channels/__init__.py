"""Transports in and out. Each inbound channel hands over bytes plus metadata; outbound ones deliver."""
