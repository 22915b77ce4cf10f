// `kiln symbolize`: addresses of a process, an ELF file or the kernel to function names,
// inline chains and file:line, in llvm-symbolizer's output format.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "symbolizer/symbolizer.h"

namespace kiln::cli {
namespace {

struct SymbolizeArgs {
  pid_t pid = 0;
  std::string elf;
  bool kernel = false;
  bool offsets = false;
  bool no_inlines = false;
  bool no_demangle = false;
  bool full_signatures = false;
  bool print_address = false;
  bool no_debuginfod = false;
  std::vector<std::string> addresses;
};

bool parse_address(const std::string& text, uint64_t* value) {
  const char* s = text.c_str();
  // strtoull also takes blanks and a sign ("-5" would wrap to 0xfffffffffffffffb).
  if (!std::isxdigit(static_cast<unsigned char>(s[0]))) return false;
  char* end = nullptr;
  errno = 0;
  *value = strtoull(s, &end, 16);
  return end != s && *end == '\0' && errno == 0;
}

void print_frames(const SymbolizeArgs& args, uint64_t address,
                  const std::vector<symbolizer::FrameView>& frames) {
  if (args.print_address) printf("0x%" PRIx64 "\n", address);
  auto put = [](std::string_view text) { fwrite_unlocked(text.data(), 1, text.size(), stdout); };
  for (const symbolizer::FrameView& frame : frames) {
    put(frame.function);
    if (frame.file.empty()) {
      put("\n??:0\n");
    } else {
      putc_unlocked('\n', stdout);
      put(frame.file);
      printf(":%u\n", frame.line);
    }
  }
  putc_unlocked('\n', stdout);
}

int run(const SymbolizeArgs& args) {
  symbolizer::Symbolizer::Options options;
  options.want_lines = true;
  options.inlines = !args.no_inlines;
  options.demangle = !args.no_demangle;
  options.full_signatures = args.full_signatures;
  options.debuginfod = !args.no_debuginfod;
  options.debuginfod_progress = isatty(STDERR_FILENO);
  if (!args.elf.empty()) {
    struct stat file;
    if (stat(args.elf.c_str(), &file) != 0 || access(args.elf.c_str(), R_OK) != 0) {
      fprintf(stderr, "kiln symbolize: cannot read %s: %s\n", args.elf.c_str(), strerror(errno));
      return kInputError;
    }
    if (!S_ISREG(file.st_mode)) {
      fprintf(stderr, "kiln symbolize: %s is not a file (--elf takes an executable or library)\n",
              args.elf.c_str());
      return kInputError;
    }
  }
  symbolizer::Symbolizer symbolizer(options);
  if (args.pid && !symbolizer.snapshot_process(args.pid)) {
    fprintf(stderr, "kiln symbolize: process %d does not exist (or /proc/%d/maps is unreadable)\n",
            args.pid, args.pid);
    return kInputError;
  }
  auto symbolize = [&](uint64_t address) -> const std::vector<symbolizer::FrameView>& {
    if (args.kernel) return symbolizer.view_kernel(address);
    if (args.pid) return symbolizer.view_user(args.pid, address);
    return symbolizer.view_file(args.elf, address,
                                args.offsets ? symbolizer::AddressKind::kFileOffset
                                             : symbolizer::AddressKind::kVirtualAddress);
  };
  // Large output (a profile's addresses) goes out in big writes.
  static char output_buffer[1 << 20];
  setvbuf(stdout, output_buffer, _IOFBF, sizeof output_buffer);
  int status = kSuccess;
  // Queued addresses are first symbolized in address order, which walks each binary's tables
  // sequentially and leaves the answers in the symbolizer's cache, then printed in input order
  // from that cache (no copy of the answers is kept here). Kernel symbols have no such cache
  // and need no warming: a binary search each.
  std::vector<uint64_t> batch;
  auto flush_batch = [&]() {
    if (!args.kernel && batch.size() > 1) {
      std::vector<uint64_t> sorted = batch;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      for (uint64_t address : sorted) symbolize(address);
    }
    for (uint64_t address : batch) print_frames(args, address, symbolize(address));
    batch.clear();
    fflush(stdout);
  };
  auto handle = [&](const std::string& token, const std::string& where) {
    uint64_t address = 0;
    if (!parse_address(token, &address)) {
      fprintf(stderr, "kiln symbolize: %s: '%s' is not a hexadecimal address\n", where.c_str(),
              token.c_str());
      status = kInputError;
      return;
    }
    batch.push_back(address);
    if (batch.size() >= (1u << 16)) flush_batch();
  };
  if (!args.addresses.empty()) {
    for (size_t i = 0; i < args.addresses.size(); ++i) {
      handle(args.addresses[i], "argument " + std::to_string(i + 1));
    }
  } else {
    std::ios::sync_with_stdio(false);
    std::string line;
    for (size_t number = 1; std::getline(std::cin, line); ++number) {
      std::istringstream words(line);
      for (std::string token; words >> token;) {
        handle(token, "stdin line " + std::to_string(number));
      }
      // Answer an interactive caller at once, but batch while more input is queued.
      if (std::cin.rdbuf()->in_avail() == 0) flush_batch();
    }
  }
  flush_batch();
  const symbolizer::Stats stats = symbolizer.stats();
  if (const std::string line = symbolizer::describe_debuginfod(stats.debuginfod); !line.empty())
    fprintf(stderr, "kiln symbolize: %s\n", line.c_str());
  for (const std::string& message : stats.messages) {
    fprintf(stderr, "kiln symbolize: warning: %s\n", message.c_str());
  }
  return status;
}

}  // namespace

void add_symbolize_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SymbolizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "symbolize", "Turn addresses into function names, inline chains and file:line");
  auto* pid = cmd->add_option("-p,--pid", args->pid,
                              "Addresses are virtual addresses in the live process PID")
                  ->check(CLI::Validator(
                      [](const std::string& value) -> std::string {
                        return std::strtol(value.c_str(), nullptr, 10) > 0
                                   ? ""
                                   : "a process id is 1 or more (see `ps -e`), not " + value;
                      },
                      ""))
                  ->type_name("PID");
  auto* elf =
      cmd->add_option("-e,--elf", args->elf, "Addresses are in this ELF file")->type_name("FILE");
  auto* kernel =
      cmd->add_flag("-k,--kernel", args->kernel, "Addresses are kernel addresses (/proc/kallsyms)");
  pid->excludes(elf, kernel);
  elf->excludes(kernel);
  cmd->add_flag("--offsets", args->offsets,
                "With --elf: addresses are file offsets (default: link-time virtual addresses)")
      ->needs(elf);
  cmd->add_flag("--no-inlines", args->no_inlines,
                "Only the containing function, no inlined frames");
  cmd->add_flag("--no-demangle", args->no_demangle, "Print symbol names as found (mangled)");
  cmd->add_flag("--full-signatures", args->full_signatures,
                "Print C++ names with return type, parameter list and qualifiers");
  cmd->add_flag("--print-address", args->print_address, "Print each address before its frames");
  cmd->add_flag("--no-debuginfod", args->no_debuginfod,
                "Do not ask the debuginfod servers in DEBUGINFOD_URLS for the debug file of a "
                "binary without DWARF (by default kiln does, once per binary)");
  cmd->add_option("ADDRESS", args->addresses,
                  "Hexadecimal addresses (0x optional); read from stdin when none are given")
      ->type_name("");
  cmd->footer(
      "Output: for each address, one pair of lines per frame (function, then file:line or ??:0),\n"
      "innermost (inlined) frame first, then a blank line, like `llvm-symbolizer --inlines`.\n"
      "A function without a symbol (a stripped binary) prints as [module]+0xSTART, START being\n"
      "where its .eh_frame entry says it begins (install its -dbgsym package for real names,\n"
      "or set DEBUGINFOD_URLS to fetch its debug file from debuginfod servers);\n"
      "other addresses without a name print as [module] (e.g. [libfoo.so], [anon], [kernel]).\n\n"
      "Examples:\n"
      "  kiln symbolize --elf ./app 0x401136               a link-time address in ./app\n"
      "  kiln symbolize --elf libfoo.so --offsets 0x1a2b   a file offset in a shared library\n"
      "  kiln symbolize --pid 1234 0x55d0c8a01136          an address in a running process\n"
      "  kiln symbolize -k ffffffff81234567                a kernel address\n"
      "  cut -d' ' -f2 addrs.txt | kiln symbolize --elf ./app --print-address");
  cmd->callback([args, &exit_code]() {
    if (args->pid == 0 && args->elf.empty() && !args->kernel) {
      std::cerr << "kiln symbolize: say where the addresses are: --pid PID, --elf FILE or "
                   "--kernel (see kiln symbolize --help)\n";
      exit_code = kInputError;
      return;
    }
    exit_code = run(*args);
  });
}

}  // namespace kiln::cli
