from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "relance.pools"
    label = "pools"
    verbose_name = "Talent pools and campaigns"
