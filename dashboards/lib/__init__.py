"""Shared helpers of the dashboards: data access, queries, charts, formats, filters, login."""
