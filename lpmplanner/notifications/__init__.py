"""Notifications: events worth telling people about (`notify`), who wants which (subscriptions
per event kind, per frame or per HMC), and their delivery by e-mail and to signed webhooks."""
