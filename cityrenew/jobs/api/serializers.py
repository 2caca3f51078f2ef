from rest_framework import serializers

from cityrenew.core.api.serializers import ChoiceLabelField

from ..models import Job


class JobSerializer(serializers.ModelSerializer):
    """后台任务：状态、进度、结果摘要；结果文件经 ``download_url`` 下载（不暴露服务器路径）。"""

    status_label = ChoiceLabelField(source="status")
    owner = serializers.CharField(source="owner.get_username", default="", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "title", "owner", "status", "status_label", "progress_done", "progress_total",
                  "progress_message", "percent", "result_summary", "result_name", "error", "created_at",
                  "started_at", "finished_at", "heartbeat_at", "attempts", "url", "download_url"]
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        return job.get_absolute_url()

    def get_download_url(self, job: Job) -> str | None:
        from django.urls import reverse

        return reverse("jobs:download", args=[job.pk]) if job.status == "succeeded" and job.result_file else None
