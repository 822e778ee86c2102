"""State of the review sessions (segments, suggestions); the terminal code is in cli/screen.py."""
