"""CityRenew 城市更新一体化平台."""

__version__ = "0.1.0"
