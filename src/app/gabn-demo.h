/* gabn-demo.h: the screenshot mode's content: once a window's session has a
 * dataset and a model, starts what a view needs to show real content
 * (training runs for "train", two trained models compared for "compare",
 * the walk of the teaching mode for "teach"). */
#pragma once

#include "gabn-window.h"

G_BEGIN_DECLS

void gabn_demo_prepare (GabnWindow *window, const char *view);

G_END_DECLS
