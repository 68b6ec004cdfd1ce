"""Colissimo's tracking: La Poste's Suivi v2 format (see `laposte_suivi`)."""

from carriers.tracking.laposte_suivi import SuiviAdapter

ADAPTER = SuiviAdapter(carrier="colissimo")
