// `kiln render`: folded stacks -> interactive SVG flame graph, icicle graph or flame chart.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "profile/profile.h"

namespace kiln::cli {

namespace {

using namespace kiln;

struct RenderArgs {
  std::vector<std::string> inputs;
  std::string output = "-";
  bool icicle = false;
  bool flame_chart = false;
  bool reverse = false;
  bool strict = false;
  unsigned width = 1200;
  unsigned frame_height = 16;
  std::string min_width = "0.1";
  std::string title;
  std::string subtitle;
  std::string count_name;
  double factor = 1.0;
  std::string sort = "name";
  std::string palette = "hot";
  std::string palette_file;
  std::string sample_type;
};

// "0.1" or "0.1px" (pixels) or "0.5%" (of the image width).
bool parse_min_width(const std::string& text, flamegraph::SvgOptions& svg) {
  std::string number = text;
  bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  if (!percent && number.ends_with("px")) number.resize(number.size() - 2);
  try {
    size_t used = 0;
    double value = std::stod(number, &used);
    if (used != number.size() || value < 0) return false;
    (percent ? svg.min_width_percent : svg.min_width_px) = value;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

int run_render(const RenderArgs& args) {
  flamegraph::SvgOptions svg;
  if (!parse_min_width(args.min_width, svg)) {
    std::cerr << "kiln render: --minwidth '" << args.min_width
              << "' is not a number of pixels (0.1) or a percentage (0.5%)\n";
    return kInputError;
  }
  std::optional<flamegraph::Palette> palette = flamegraph::parse_palette(args.palette);
  if (!palette) {
    std::cerr << "kiln render: unknown palette '" << args.palette << "'; one of:";
    for (std::string_view name : flamegraph::palette_names()) std::cerr << ' ' << name;
    std::cerr << '\n';
    return kInputError;
  }

  profile::Profile profile;
  // perf script text is drawn with every annotation, one count per sample, as `kiln collapse
  // perf --all --count samples` folds it (README, "perf script input").
  formats::PerfScriptOptions perf;
  perf.annotate_kernel = perf.annotate_jit = perf.annotate_inline = true;
  perf.sample_counts = true;
  perf.keep_sample_order = args.flame_chart;
  formats::StackFileReader reader(profile, &std::cerr, perf,
                                  formats::PprofReadOptions{args.sample_type});
  for (const std::string& input : args.inputs) {
    if (!reader.read_file(input)) return kInputError;
  }
  if (reader.bad_lines() > 0) {
    std::cerr << "kiln render: " << reader.bad_lines() << " line(s) could not be read"
              << (args.strict ? " (--strict): no graph written\n" : " and were skipped\n");
    if (args.strict) return kInputError;
  }
  std::string inputs;
  for (const std::string& input : args.inputs) inputs += (inputs.empty() ? "" : ", ") + input;
  if (profile.empty() && (profile.metadata.measured.empty() || reader.bad_lines() > 0)) {
    std::cerr << "kiln render: no stacks in the input (" << inputs
              << "): expected lines like 'main;parse;memcpy 42'\n";
    return kInputError;
  }
  if (profile.empty()) {
    // A recording (its `# measured:` header says so) in which nothing ran: a valid, empty
    // profile, drawn as such, as `kiln record` draws it.
    std::cerr << "kiln render: warning: no stacks in " << inputs << ": a recording of 0 "
              << profile.metadata.count_name << " (" << profile.metadata.lost_samples
              << " lost); the graph says it is empty\n";
  } else if (profile.total().is_zero()) {
    std::cerr << "kiln render: every count in the input is zero: nothing to draw\n";
    return kInputError;
  }
  if (profile.find_column(profile::kBeforeColumn)) {
    std::cerr << "kiln render: two-column (differential) input: frame sizes use the second "
                 "column; `kiln diff BEFORE AFTER` draws differential colors\n";
  }

  // -o x.pb.gz: the stacks as pprof, for go tool pprof, Pyroscope and Parca (as kiln convert).
  if (formats::is_pprof_path(args.output))
    return write_profile("kiln render", profile, args.output) ? kSuccess : kInputError;

  flamegraph::PaletteMap palette_map;
  if (!args.palette_file.empty()) {
    if (!palette_map.load(args.palette_file, &std::cerr)) {
      std::cerr << "kiln render: cannot read palette file " << args.palette_file << '\n';
      return kInputError;
    }
    svg.palette_map = &palette_map;
  }

  svg.title = args.title;
  svg.subtitle = args.subtitle;
  svg.count_name = args.count_name;
  svg.factor = args.factor;
  svg.icicle = args.icicle;
  svg.width = args.width;
  svg.frame_height = args.frame_height;
  svg.palette = *palette;
  // `kiln record --wall` output: on-CPU and off-CPU time told apart as when it was recorded.
  if (profile.metadata.measured == "wall") flamegraph::use_wall_time_style(svg);

  flamegraph::TreeOptions tree_options;
  tree_options.reverse = args.reverse;
  tree_options.flame_chart = args.flame_chart;
  tree_options.order =
      args.sort == "weight" ? flamegraph::SiblingOrder::kWeight : flamegraph::SiblingOrder::kName;
  tree_options.min_fraction = flamegraph::min_drawn_fraction(svg);
  // From here on nothing is interned, and once the tree is built only the names are read: a
  // large profile gives back its name index and its stacks (issue 14: 100k deep stacks in at
  // most 50 MB).
  const size_t stack_count = profile.stack_count();
  const profile::Weight total = profile.total();
  profile.drop_name_index();
  flamegraph::FrameTree tree = flamegraph::FrameTree::build(profile, tree_options);
  profile.clear_stacks();

  std::unique_ptr<std::ofstream> file;
  std::ostream* out = &std::cout;
  if (args.output != "-") {
    file = std::make_unique<std::ofstream>(args.output, std::ios::binary | std::ios::trunc);
    if (!*file) {
      std::cerr << "kiln render: cannot write " << args.output << ": " << std::strerror(errno)
                << '\n';
      return kInputError;
    }
    out = file.get();
  }
  flamegraph::SvgStats stats = flamegraph::write_svg(tree, svg, *out);
  out->flush();
  if (!*out) {
    std::cerr << "kiln render: writing " << args.output << " failed: " << std::strerror(errno)
              << '\n';
    return kInputError;
  }
  if (!args.palette_file.empty() && !palette_map.save(args.palette_file)) {
    std::cerr << "kiln render: cannot write palette file " << args.palette_file << ": "
              << std::strerror(errno) << '\n';
    return kInputError;
  }
  if (args.output != "-") {
    // Counts as read; the unit only applies when --factor does not rescale them.
    std::string unit = args.factor != 1.0       ? std::string("counts")
                       : svg.count_name.empty() ? profile.metadata.count_name
                                                : svg.count_name;
    std::cerr << "kiln render: wrote " << args.output << " (" << stack_count << " stacks, "
              << stats.frames_drawn << " frames, " << total.to_string() << ' ' << unit << ")\n";
  }
  return kSuccess;
}

}  // namespace

void add_render_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RenderArgs>();
  CLI::App* cmd = app.add_subcommand(
      "render",
      "Draw an interactive SVG flame graph (or icicle graph, flame chart) from folded stacks");
  cmd->add_option("FOLDED", args->inputs,
                  "Folded stack, perf script or pprof files (`-` for stdin); several are merged")
      ->type_name("")
      ->required();
  cmd->add_option("-o,--output", args->output,
                  "Output SVG file, `-` for stdout; .pb.gz/.pb/.pprof writes the stacks as pprof")
      ->type_name("FILE")
      ->capture_default_str();
  cmd->add_flag("--icicle,--inverted", args->icicle, "Root at the top (icicle graph)");
  cmd->add_flag("--flamechart", args->flame_chart,
                "Input order is time order: adjacent identical frames merge, nothing is sorted");
  cmd->add_flag("--reverse", args->reverse, "Reverse stacks: leaf functions become the roots");
  cmd->add_option("--width", args->width, "Image width in pixels (50-100000)")
      ->type_name("PX")
      ->capture_default_str()
      ->check(CLI::Range(50u, 100000u).description(""));
  cmd->add_option("--height", args->frame_height, "Frame height in pixels (4-200)")
      ->type_name("PX")
      ->capture_default_str()
      ->check(CLI::Range(4u, 200u).description(""));
  cmd->add_option("--minwidth", args->min_width,
                  "Leave out frames narrower than this: pixels (0.1) or % of the width (0.5%)")
      ->type_name("PX|PCT%")
      ->capture_default_str();
  cmd->add_option("--title", args->title,
                  "Title (default: Flame Graph / Icicle Graph / Flame Chart)");
  cmd->add_option("--subtitle", args->subtitle, "Second line under the title");
  cmd->add_option("--countname", args->count_name,
                  "Unit of the counts shown in tooltips (default: from the file, else samples)")
      ->type_name("NAME");
  cmd->add_option("--factor", args->factor, "Multiply counts by this in tooltips")
      ->type_name("FACTOR")
      ->capture_default_str();
  cmd->add_option("--sort", args->sort, "Sibling order: name (stable to compare) or weight")
      ->type_name("name|weight")
      ->capture_default_str()
      ->check(CLI::IsMember({"name", "weight"}).description(""));
  std::string palettes;
  for (std::string_view name : flamegraph::palette_names()) {
    palettes += palettes.empty() ? "" : ", ";
    palettes += name;
  }
  cmd->add_option("--palette,--colors", args->palette, "Color palette: " + palettes)
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--palette-file", args->palette_file,
                  "Keep frame colors in FILE (name->rgb(r,g,b) lines), read and updated, so "
                  "several graphs color a function alike")
      ->type_name("FILE");
  cmd->add_flag("--strict", args->strict, "Exit 1 if any input line cannot be read");
  cmd->add_option("--sample-type", args->sample_type,
                  "pprof input: the value drawn, a sample type (cpu) or type/unit "
                  "(cpu/nanoseconds); default: the file's default, else its last")
      ->type_name("NAME");
  cmd->footer(
      "Input: one stack per line, frames root first separated by ';', then a space and a count:\n"
      "  app;main;parse;memcpy_[k] 42\n"
      "Frame suffixes _[k] kernel, _[j] JIT, _[i] inlined, _[w] wakeup set the color and are\n"
      "hidden from labels. Unreadable lines are reported as FILE:LINE: reason.\n"
      "`perf script` output and pprof profiles (.pb.gz or not) are read too (recognized by\n"
      "their content).\n\n"
      "Examples:\n"
      "  kiln render perf.folded -o perf.svg\n"
      "  kiln render a.folded b.folded --title 'Two runs' -o both.svg\n"
      "  kiln render --icicle --palette java --minwidth 0.5% app.folded -o app.svg\n"
      "  kiln render --reverse --sort weight perf.folded -o bottom-up.svg\n"
      "  perf script | kiln render - -o perf.svg            (perf record -g)\n"
      "  kiln render cpu.pb.gz -o cpu.svg                   (a pprof profile)\n"
      "  kiln render app.folded -o app.pb.gz                (folded stacks as pprof)\n"
      "  profile-bpfcc -f 10 | kiln render - > bcc.svg     (BCC's profile)\n"
      "In the browser: click a frame to zoom, Escape or 'Reset Zoom' to go back, Ctrl-F or\n"
      "'Search' for a regular expression; the URL keeps zoom and search.");
  cmd->callback([args, &exit_code] { exit_code = run_render(*args); });
}

}  // namespace kiln::cli
