"""Widgets of the wizard: step indicator, QR code, CAPTCHA image, error panel."""
