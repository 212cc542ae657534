// volume_average (ContextWorker): the simple moving average of the volume, and the bar's volume
// relative to it.
#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class VolumeAverage final : public ContextWorker {
 public:
  explicit VolumeAverage(const ParamSet& p) : period_(static_cast<int>(p.GetInt("period"))) {}

  Status OnCompute(ContextFrame& frame) override {
    auto sma = structure::EnsureVolumeSma(frame, period_);
    if (!sma.ok()) return sma.status();
    const std::string name = "volume_ratio_" + std::to_string(period_);
    if (frame.Find(name)) return Status::Ok();
    auto ratio = frame.AddColumn(name);
    if (!ratio.ok()) return ratio.status();
    const auto vol = frame.Column(kVolumeColumn);
    const auto avg = frame.Column(*sma);
    auto out = frame.MutableColumn(*ratio);
    for (size_t t = 0; t < out.size(); ++t) out[t] = avg[t] > 0 ? vol[t] / avg[t] : kNaN;
    return Status::Ok();
  }

 private:
  int period_;
};

}  // namespace

void RegisterVolumeAverage(PluginRegistry& r) {
  PluginManifest m;
  m.name = "volume_average";
  m.category = WorkerCategory::kContext;
  m.subtype = "indicator";
  m.description =
      "Simple moving average of the volume over `period` bars (volume_sma_<period>, in units of "
      "the instrument, NaN during warm-up) and the bar's volume divided by it "
      "(volume_ratio_<period>, dimensionless; NaN when the average is 0).";
  m.params = {plugin::Int("period", 20, 1, 10000, "bars in the average")};
  m.produces_columns = {"volume_sma_<period>", "volume_ratio_<period>"};
  plugin::MustRegister(r, std::move(m), plugin::Make<VolumeAverage>());
}

}  // namespace s1mple::engine
