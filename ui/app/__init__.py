"""The Streamlit app: `readpath ui` runs main.py; pages call ui.services, never the CLI."""
