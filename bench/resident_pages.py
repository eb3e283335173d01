"""Where a process's resident memory in its own executable comes from (docs/benchmarks.md, "Memory").

    python3 bench/resident_pages.py sections PID   # resident pages of PID's executable, per ELF section
    python3 bench/resident_pages.py fault-around FILE [random|sequential]
        # maps FILE (advised so, if given), reads one byte per MiB of it, prints how much became resident

`sections` reads which pages of the executable's mappings are present (/proc/PID/pagemap, run as
root) and sums them per section of the file (readelf -S -W). `fault-around` shows the kernel mapping
neighbouring pages on each page fault: each one-byte read makes far more than 4 KiB resident.
"""

import mmap
import os
import re
import struct
import subprocess
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")


def sections(pid):
    executable = os.path.realpath(f"/proc/{pid}/exe")
    ranges = []  # (start address, end address, file offset) of each mapping of the executable
    for line in open(f"/proc/{pid}/maps"):
        fields = line.split()
        if len(fields) > 5 and fields[5] == executable:
            start, end = (int(value, 16) for value in fields[0].split("-"))
            ranges.append((start, end, int(fields[2], 16)))
    present = []  # file offsets of resident pages
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for start, end, offset in ranges:
            for address in range(start, end, PAGE):
                pagemap.seek(address // PAGE * 8)
                if struct.unpack("Q", pagemap.read(8))[0] >> 63:
                    present.append(address - start + offset)
    table = []  # (file offset, size, name)
    listing = subprocess.run(["readelf", "-S", "-W", executable], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        match = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if match and int(match.group(3), 16) > 0:
            table.append((int(match.group(2), 16), int(match.group(3), 16), match.group(1)))
    resident = {}
    for offset in present:
        # A page counts for the section it starts in (sections smaller than a page share one).
        name = next((name for start, size, name in table if start <= offset < start + size), "(between sections)")
        resident[name] = resident.get(name, 0) + PAGE
    sizes = {name: size for _, size, name in table}
    print(f"{executable}: {len(present) * PAGE / 2**20:.1f} MiB resident in its mappings")
    for name, size in sorted(resident.items(), key=lambda item: -item[1])[:15]:
        print(f"  {name:32s} {size / 2**20:7.2f} MiB of {sizes.get(name, 0) / 2**20:7.2f}")


def resident_file_kib():
    for line in open("/proc/self/status"):
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    return 0


def fault_around(path, advice=None):
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        # Mapped as a program's code is: private, readable and executable.
        mapped = mmap.mmap(file.fileno(), size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
        if advice:
            mapped.madvise({"random": mmap.MADV_RANDOM, "sequential": mmap.MADV_SEQUENTIAL}[advice])
        before = resident_file_kib()
        reads = 0
        for offset in range(0, size, 2**20):
            mapped[offset]
            reads += 1
        grown = resident_file_kib() - before
        print(f"{reads} one-byte reads, one per MiB: {grown / 1024:.1f} MiB more resident ({grown / reads:.0f} KiB per read)")
        mapped.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "sections":
        sections(int(sys.argv[2]))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "fault-around" and sys.argv[3:] in ([], ["random"], ["sequential"]):
        fault_around(sys.argv[2], (sys.argv[3:] or [None])[0])
    else:
        sys.exit(__doc__)
