"""API endpoints that belong to no app: the root listing and the signed-in user."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """Who the request is authenticated as, and the roles that user holds."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "is_superuser": user.is_superuser,
            "roles": sorted(user.groups.values_list("name", flat=True)),
        }
        return Response(MeSerializer(data).data)


def api_root_view(router):
    """The /api/ index: every collection the router holds, plus the fixed endpoints."""

    class ApiRoot(APIView):
        @extend_schema(exclude=True)
        def get(self, request: Request, format=None) -> Response:
            links = {
                prefix: reverse(f"api:{basename}-list", request=request, format=format)
                for prefix, _viewset, basename in router.registry
            }
            for name in ("me", "jobs", "token", "search", "schema", "docs"):
                links[name] = reverse(f"api:{name}", request=request, format=format)
            return Response(links)

    return ApiRoot.as_view()
