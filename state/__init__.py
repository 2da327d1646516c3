"""Application state in SQLite beside the warehouse: alert state, action log, audit, kiosk links, schedules."""
