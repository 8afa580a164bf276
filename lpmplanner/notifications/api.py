"""Each user's notification subscriptions, webhooks and deliveries over REST:
`/api/notification-subscriptions/`, `/api/webhooks/`, `/api/notification-deliveries/`. A user
sees and changes only their own; every role may subscribe."""

from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter

from inventory.models import Frame, Hmc
from lpmplanner.notifications.models import Delivery, DeliveryAttempt, Subscription, Webhook
from lpmplanner.notifications.services import subscription_create, webhook_save
from lpmplanner.permissions import may_read


class HasRole(permissions.BasePermission):
    """Signed in and holding a role (any role reads the estate): their own records only."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and may_read(user, None))


class WebhookSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The HMAC-SHA256 signing secret, at least 16 characters: stored encrypted, "
        "never returned. Required to create; leave it out to keep the current one.",
    )

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "secret", "created"]
        read_only_fields = ["created"]
        validators: list[object] = []  # the model's constraint names the rule

    def create(self, validated_data):
        user = self.context["request"].user
        return webhook_save(webhook=Webhook(user=user, **validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return webhook_save(webhook=instance)


class SubscriptionSerializer(serializers.ModelSerializer):
    frame = serializers.PrimaryKeyRelatedField(
        queryset=Frame.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only about this frame; with neither frame nor hmc, about everything.",
    )
    hmc = serializers.PrimaryKeyRelatedField(
        queryset=Hmc.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only about this HMC and its frames.",
    )
    webhook = serializers.PrimaryKeyRelatedField(
        queryset=Webhook.objects.all(),
        required=False,
        allow_null=True,
        help_text="With channel `webhook`: one of your webhooks (id).",
    )

    class Meta:
        model = Subscription
        fields = ["id", "kind", "frame", "hmc", "channel", "webhook", "created"]
        read_only_fields = ["created"]

    def create(self, validated_data):
        return subscription_create(user=self.context["request"].user, **validated_data)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "time", "ok", "status_code", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="notification.kind", read_only=True)
    subject = serializers.CharField(source="notification.subject", read_only=True)
    tries = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "notification",
            "kind",
            "subject",
            "channel",
            "webhook",
            "recipient",
            "state",
            "attempts",
            "created",
            "delivered",
            "tries",
        ]
        read_only_fields = fields


class WebhookViewSet(viewsets.ModelViewSet):
    """Your webhooks: URLs that receive notifications as JSON, signed in the
    `X-Lpmplanner-Signature` header (`t=<unix time>,v1=<HMAC-SHA256 hex of "<t>.<body>">`).
    Deleting one deletes its subscriptions."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    permission_classes = [HasRole]

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user)


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Your subscriptions: which notifications (by kind, frame or HMC) you get, by e-mail or to
    one of your webhooks."""

    queryset = Subscription.objects.select_related("frame", "hmc", "webhook")
    serializer_class = SubscriptionSerializer
    permission_classes = [HasRole]
    filterset_fields = ["kind", "channel"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Notifications sent to you (your address or your webhooks), each with every attempt."""

    queryset = Delivery.objects.select_related("notification").prefetch_related("tries")
    serializer_class = DeliverySerializer
    permission_classes = [HasRole]
    filterset_fields = ["state", "channel", "webhook"]

    def get_queryset(self):
        user = self.request.user
        mine = Delivery.objects.none()
        if user.is_authenticated:
            mine = super().get_queryset().filter(webhook__user=user)
            if user.email:
                mine = mine | super().get_queryset().filter(
                    channel="email", recipient__iexact=user.email
                )
        return mine


router = SimpleRouter()
router.register("notification-subscriptions", SubscriptionViewSet)
router.register("webhooks", WebhookViewSet)
router.register("notification-deliveries", DeliveryViewSet)
