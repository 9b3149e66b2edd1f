"""The app's pages, one script each, registered by main.py with st.navigation."""
