"""Streamlit dashboards of the M'green warehouse (read the published file only)."""
