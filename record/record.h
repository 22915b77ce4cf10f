// record: `kiln record`'s recording, from the BPF programs to a written profile. Recorders
// (on-CPU sampling, off-CPU tracing, both for --wall) behind one interface (recorder.h), the
// session and loop that run them on the targets, the stacks they drain (raw_profile.h), their
// symbolization into a Profile, the outputs and the summaries. It uses bpf/, symbolizer/,
// unwind/, profile/, formats/, flamegraph/ and pprof/; only cli/ uses it.
//
// This header is what cli/ uses: targets and the command kiln starts, the three recordings and
// what is shown of each, symbolization, outputs and summaries. The parts they are made of
// (recorders, BPF maps and rings, the loop, process tracking) have headers of their own here.
#pragma once

#include "record/child_command.h"
#include "record/errors.h"
#include "record/exited_stacks.h"
#include "record/offcpu_recording.h"
#include "record/on_cpu_sampler.h"
#include "record/profile_output.h"
#include "record/profile_symbolization.h"
#include "record/record_loop.h"
#include "record/record_summary.h"
#include "record/recording_pprof.h"
#include "record/targets.h"
#include "record/wall_recording.h"
