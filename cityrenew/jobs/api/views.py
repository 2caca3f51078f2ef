from rest_framework import viewsets

from ..views import visible_jobs
from .serializers import JobSerializer


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """后台任务（只读）：本人提交的任务；市级管理员可见全部。"""

    serializer_class = JobSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return visible_jobs(self.request.user)
