"""Look-ups the planning tests share."""

from inventory.models import Lpar


def vios(frame_name: str, name: str) -> Lpar:
    return Lpar.objects.get(frame__name=frame_name, name=name)
