"""The inventory's REST API: serializers, viewsets and their routes."""
