"""The Debian package check behind tools/neuron setup."""

from neuronlib import packages


def test_the_list_has_what_the_build_and_tests_use():
    for name in ("cmake", "ninja-build", "gcc-riscv64-unknown-elf", "qemu-system-misc",
                 "opensbi", "python3-pytest", "python3-hypothesis"):
        assert name in packages.DEBIAN_PACKAGES
    assert len(set(packages.DEBIAN_PACKAGES)) == len(packages.DEBIAN_PACKAGES)


def test_an_uninstalled_package_is_reported_missing():
    assert packages.missing_packages(("dpkg", "neuron-no-such-package")) == ["neuron-no-such-package"]


def test_install_command_never_prompts_and_skips_recommends():
    command = packages.install_command(["opensbi"])
    assert "DEBIAN_FRONTEND=noninteractive" in command
    assert "-y --no-install-recommends" in command
    assert "DPkg::Lock::Timeout=300" in command
    assert command.endswith(" opensbi")
