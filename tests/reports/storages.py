"""A storage that fails the way a full disk or an unreachable object store does (a stand-in
for the outside service, not for our code)."""

from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    def _save(self, name, content):
        raise OSError(28, "No space left on device")


class WorkerKilled(BaseException):
    """What the build sees when its worker process is killed: nothing it may catch."""


class DyingStorage(FileSystemStorage):
    """The worker dies as the file is being stored (SIGKILL, out of memory)."""

    def _save(self, name, content):
        raise WorkerKilled
