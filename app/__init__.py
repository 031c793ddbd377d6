"""KPAS platform API: the system of record behind the Kent PRU and Attendance Service."""

__version__ = "0.1.0"
