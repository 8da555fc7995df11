"""Custom actions for the nerve-pain physical-therapy assistant."""
