// The one matrix type of AttnScope. Rows are tokens, matching the JSON files, the trace and the
// heatmap texture upload, so everything is row-major.
#pragma once

#include <Eigen/Core>

namespace attnscope {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using Index = Eigen::Index;

}  // namespace attnscope
