"""Live state: one watcher per process, an immutable snapshot, one hub fanning out to browsers."""
