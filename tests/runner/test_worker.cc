// A pool worker process with the diag job kind only (runner tests).
#include "runner/job_executor.h"
#include "runner/worker_protocol.h"

int main() {
  s1mple::runner::KindDispatcher executor;
  return s1mple::runner::RunWorkerProcess(0, 1, executor);
}
