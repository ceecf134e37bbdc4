"""Facts measured once on the real QEMU and OVMF, for every test to use.

The unit and command tests state these guests and widths from here instead
of repeating the numbers. Each was measured with ``tox -e realqemu``
(qemu-system-x86_64 and OVMF under TCG):

* ``tests/realqemu/test_qemu_start.py`` starts QEMU for every machine
  type, vendor and RAM size of its grid at the model's minimum width and
  one bit below (1012 GiB is a point of that grid; 2 GiB reaches the
  same highest address as its 512 MiB point);
* ``tests/realqemu/test_ovmf_bars.py`` boots OVMF with the BARs of its
  cases and reads where the firmware placed them (``4x128G-bars-42`` and
  ``4x128G-bars-43``).

``tests/unit/test_address_space.py`` checks that each fact is one of those
measured points and that the model gives it.
"""

GIB_MIB = 1024  # MiB per GiB: flavors give their RAM in MiB

#: A 2 GiB guest (m1.small) on Intel: on q35 QEMU exits at 35 bits (its
#: 32 GiB 64-bit PCI hole ends above 2^35) and starts at 36; on pc (a
#: 2 GiB hole) it starts from 33, so at 35 too.
SMALL_RAM_MIB = 2 * GIB_MIB
SMALL_Q35_FAILS = 35
SMALL_Q35_NEEDS = 36
SMALL_PC_NEEDS = 33

#: The AMD HyperTransport hole: a 1012 GiB pc guest starts at 40 bits on
#: Intel; on AMD QEMU moves the RAM above 4 GiB to 1 TiB, so it needs 41.
AMD_HOLE_RAM_MIB = 1012 * GIB_MIB
AMD_HOLE_INTEL_NEEDS = 40
AMD_HOLE_AMD_NEEDS = 41

#: Four H100s (a 128 GiB BAR each) in a 512 GiB q35/UEFI guest on Intel:
#: at 42 bits OVMF's 64-bit window holds only three of the BARs, at 43 it
#: holds all four.
GPU_RAM_MIB = 512 * GIB_MIB
H100_BAR = 128 << 30
GPU_COUNT = 4
GPU_FAILS = 42
GPU_NEEDS = 43
