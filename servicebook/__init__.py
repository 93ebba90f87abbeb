"""servicebook: automation for customer-service teams whose Excel workbook is their record."""

__version__ = "0.1.0"
