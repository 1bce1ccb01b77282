#pragma once
// `unirep train ... --nproc N`: the binary re-executes itself N times with the torchrun variables
// set (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, and MASTER_PORT: a
// free port unless the environment gives one), then waits. When a worker fails, the others are
// stopped (SIGTERM, then SIGKILL after a grace period) and the job returns that worker's status.
// Part of the command line, not the SDK: an app linking the SDK never wants its own binary forked
// and re-executed (the SDK's side of data-parallel training is sdk/distributed/process_group.h).
namespace unirep::cli {

// True inside a worker started by launch_local_workers (UNIREP_WORKER=1).
bool is_worker();

// Runs /proc/self/exe with this process's own arguments in `nproc` workers; returns the job's exit
// code (0 when every worker succeeded, else the first failure's code, 128+signal for a signal).
int launch_local_workers(int nproc);

}  // namespace unirep::cli
