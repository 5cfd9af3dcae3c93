/* gabn-train-maps.h: the maps the adversary acts on, for the trainer's
 * per-epoch diagnostics (DESIGN.md 1: every figure says which map it was
 * computed on; the balance GABN optimises and the balance it reports are
 * measured on the same kind of map).
 *
 * As in a training step: the net in training mode (BatchNorm normalises
 * with each batch's statistics; the running statistics are restored
 * afterwards, so the model does not change), the trainer's GAM kind, and
 * the target cos θ_y to the image's own class centre. Held-out people have
 * no class centre: their target is the cosine to their identity's mean
 * embedding (held constant), from a first training-mode pass over the same
 * batches. Images are mapped in batches of about batch_size (the last ones
 * evened out: BatchNorm over one image is degenerate), unflipped. */
#pragma once

#include "gabn-cam.h"
#include "gabn-dataset.h"
#include "gabn-net.h"

G_BEGIN_DECLS

/* Normalised maps P (n × h·w) of dataset images[0..n). classes (n class
 * indices of the net) gives the class-centre target; NULL gives the
 * identity-mean target (dataset identities). Fails on an unreadable image
 * or on cancel; n < 2 is an error (no batch to normalise over). */
gboolean gabn_train_maps (GabnNet *net, const GabnDataset *dataset,
                          const int *images, const int *classes, int n,
                          GabnCamMethod method, int batch_size, int threads,
                          GCancellable *cancellable, float *P, GError **error);

G_END_DECLS
