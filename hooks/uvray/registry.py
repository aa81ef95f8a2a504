"""Every rule uvray has, and the codes it retired (never reused)."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing itself costs ~5 ms of start-up; this module is on the no-op path
if TYPE_CHECKING:
    from types import ModuleType

    from uvray.rules import RetiredCode, RuleMeta

_MODULES = (
    "ruv001_unused_suppression",
    "ruv002_malformed_suppression",
    "ruv101_workers_resync_shared_env",
    "ruv102_uv_without_env_locking",
    "ruv103_uv_unpinned",
    "ruv106_no_sync_without_prebuilt_env",
    "ruv107_per_worker_resolution_load",
    "ruv108_compile_bytecode_at_runtime",
    "ruv109_stale_project_under_no_sync",
    "ruv110_old_ray_worker_script_with_new_uv",
    "ruv201_pip_or_uv_field_with_uv_run",
    "ruv202_multiple_package_manager_fields",
    "ruv203_image_uri_or_container_with_other_fields",
    "ruv204_py_executable_overridden",
    "ruv205_pyproject_or_requirements_outside_working_dir",
    "ruv206_uv_sources_outside_working_dir",
    "ruv207_ray_not_in_project_dependencies",
    "ruv208_ray_version_mismatch",
    "ruv209_python_version_mismatch",
    "ruv210_uv_hook_module_missing",
    "ruv211_disable_flag_ineffective",
    "ruv212_uv_not_on_raylet_path",
    "ruv213_ray_processes_under_uv_run",
    "ruv214_lockfile_not_shipped_to_workers",
    "ruv215_venv_uploaded_with_working_dir",
    "ruv301_frozen_locked_conflict",
    "ruv302_frozen_without_lockfile_in_build",
    "ruv303_no_sync_with_frozen_old_uv",
    "ruv304_uv_system_python_with_project_commands",
    "ruv305_uv_lock_noop_under_frozen",
    "ruv401_symlink_link_mode_with_cache_mount",
    "ruv402_cache_mount_without_copy_link_mode",
    "ruv403_venv_in_build_context",
    "ruv404_env_set_only_in_builder_stage",
    "ruv405_venv_copied_across_mismatched_bases",
    "ruv406_project_env_is_system_prefix",
    "ruv407_root_owned_env_nonroot_runtime",
    "ruv408_managed_python_under_root_home",
    "ruv409_workspace_first_layer_locked",
    "ruv501_ci_local_ray_under_uv_run",
    "ruv502_submit_shell_env_not_propagated",
)

# Image rules: checked by the probe inside a built image (`uvray image`, `uvray env`), not on
# the repository; their modules hold META and the doc, the probe holds the logic.
_IMAGE_MODULES = (
    "ruv601_dist_info_incomplete",
    "ruv602_duplicate_distribution",
    "ruv603_install_leftovers",
    "ruv604_record_mismatch",
    "ruv605_unsatisfied_requirement",
    "ruv606_workers_would_reinstall_project",
    "ruv607_project_install_state",
    "ruv608_uv_unavailable_to_runtime_user",
    "ruv609_ray_unusable_in_worker_env",
    "ruv610_version_skew_in_image",
    "ruv611_venv_interpreter_broken",
    "ruv612_dangling_symlinks",
    "ruv613_env_not_writable",
    "ruv614_smoke_test_failed",
)

_loaded: list[ModuleType] | None = None
_image_loaded: list[ModuleType] | None = None


def rule_modules() -> list[ModuleType]:
    global _loaded
    if _loaded is None:
        _loaded = [importlib.import_module(f"uvray.rules.{name}") for name in _MODULES]
    return _loaded


def image_rule_modules() -> list[ModuleType]:
    global _image_loaded
    if _image_loaded is None:
        _image_loaded = [importlib.import_module(f"uvray.rules.{name}") for name in _IMAGE_MODULES]
    return _image_loaded


def known_codes() -> set[str]:
    """Codes without importing the rules: module names start with the code (ruv101_...)."""
    return {name.split("_", 1)[0].upper() for name in (*_MODULES, *_IMAGE_MODULES)}


def all_rules() -> dict[str, RuleMeta]:
    """Every rule, repository and image ones (docs, SARIF, explain, config validation)."""
    return {m.META.code: m.META for m in (*rule_modules(), *image_rule_modules())}


def retired() -> dict[str, RetiredCode]:
    from uvray.rules import RetiredCode

    codes = (
        RetiredCode(
            "RUV104",
            "workspace-members-installed-into-runtime-synced-env",
            "retired: its premise (the build-time install decides whether workers reinstall) was "
            "disproved by real Ray runs; workspace members are covered by RUV101",
        ),
        RetiredCode(
            "RUV105",
            "shared-absolute-project-env-across-jobs",
            "merged into RUV101 (a fixed-path env synced by workers is the condition)",
        ),
    )
    return {r.code: r for r in codes}
