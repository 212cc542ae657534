// The worker bases' entries (the out-of-line parts: identity, failures), the built-in event and
// order-type names, and BindContext.
#include "engine/worker.h"

#include <exception>
#include <string>

#include "engine/data.h"

namespace s1mple::engine {

std::string_view BuiltinEventName(EventId id) {
  switch (id) {
    case kOnContextReady:
      return "on_context_ready";
    case kOnLedgerUpdate:
      return "on_ledger_update";
    case kOnOpportunityDetected:
      return "on_opportunity_detected";
    case kOnThreatDetected:
      return "on_threat_detected";
    case kOnOrderFilled:
      return "on_order_filled";
    case kOnPositionClosed:
      return "on_position_closed";
    default:
      return "";
  }
}

std::string_view OrderTypeName(OrderType t) {
  switch (t) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStop:
      return "stop";
  }
  return "?";
}

// ---- Worker
// ---------------------------------------------------------------------------------------

Status Worker::Bind(BindContext& ctx) {
  origin_ = ctx.origin;
  yaml_path_ = ctx.yaml_path;
  plugin_ = ctx.plugin;
  return GuardSetup([&] { return OnBind(ctx); });
}

std::string Worker::Describe() const {
  std::string s(origin_);
  if (!yaml_path_.empty()) s += (s.empty() ? "" : ": ") + std::string(yaml_path_);
  if (!plugin_.empty()) s += (s.empty() ? "(" : " (") + std::string(plugin_) + ")";
  return s.empty() ? "a worker" : s;
}

namespace {
// What the exception being handled says (call inside a catch block only).
std::string CurrentWhat() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}
}  // namespace

void Worker::Fail(const BarContext* bar) const {
  std::string message = Describe() + ": threw: " + CurrentWhat();
  if (bar)
    message += " (bar " + std::to_string(bar->bar) + ", " + FormatIsoTimestamp(bar->ts) + ")";
  throw WorkerFailure(message);
}

Status Worker::ThrownStatus() const {
  return Status::Internal(Describe() + ": threw: " + CurrentWhat());
}

// ---- BindContext
// ----------------------------------------------------------------------------------

Result<ColumnId> BindContext::ResolveSource(std::string_view name) const {
  auto id = frame.Find(name);
  if (!id) {
    std::string cols;
    for (ColumnId c = 0; c < source_columns_visible && c < frame.column_count(); ++c)
      cols += (cols.empty() ? "" : ", ") + frame.Name(c);
    return Error("source column '" + std::string(name) + "' does not exist (visible: " + cols +
                 ")");
  }
  if (*id >= source_columns_visible)
    return Error("source column '" + std::string(name) +
                 "' is not visible here: only ContextOperator SEQUENTIAL + CHAIN_THROUGH hands "
                 "earlier context workers' columns on");
  return *id;
}

Status BindContext::Error(std::string_view message) const {
  return Status::InvalidArgument(std::string(origin) + ": " + std::string(yaml_path) + ": " +
                                 std::string(message));
}

}  // namespace s1mple::engine
