from rest_framework import serializers

from cityrenew.core.api.serializers import ChoiceLabelField

from ..models import Article, Item, PolicyDocument
from ..status import status_label


class PolicyDocumentSerializer(serializers.ModelSerializer):
    level_display = ChoiceLabelField(source="level")
    current_status = serializers.CharField(read_only=True, help_text="按当天日期和替代关系计算的效力状态")
    current_status_display = serializers.SerializerMethodField()
    replaces = serializers.SlugRelatedField(slug_field="key", read_only=True)
    n_articles = serializers.IntegerField(read_only=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = PolicyDocument
        fields = ["key", "title", "number", "issuer", "level", "level_display", "region", "structure", "issued",
                  "effective", "expires", "status", "current_status", "current_status_display", "replaces", "excerpt",
                  "note", "url", "n_articles", "page"]

    def get_current_status_display(self, obj) -> str:
        return status_label(obj.current_status)

    def get_page(self, obj) -> str:
        return obj.get_absolute_url()


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["label", "text"]


class ArticleSerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.key", read_only=True)
    section = serializers.SerializerMethodField()
    items = ItemSerializer(many=True, read_only=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["document", "number", "ref", "label", "heading", "section", "text", "items", "page"]

    def get_section(self, obj) -> str:
        return str(obj.section) if obj.section_id else ""

    def get_page(self, obj) -> str:
        return obj.get_absolute_url()
