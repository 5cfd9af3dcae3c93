/* gabn-window-private.h: the window's fields, shared by its parts:
 * gabn-window.c (chrome, views, lifetime), gabn-window-open.c (opening
 * files and the recent list), gabn-window-dnd.c (drops) and
 * gabn-window-actions.c (the win.* actions). */
#pragma once

#include "gabn-window.h"
#include "gabn-compare-view.h"
#include "gabn-faces-view.h"
#include "gabn-groups-view.h"
#include "gabn-settings.h"
#include "gabn-teach-view.h"
#include "gabn-train-view.h"

G_BEGIN_DECLS

struct _GabnWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwHeaderBar        *header_bar;
  GtkStack            *main_stack;
  GtkProgressBar      *progress_bar;
  GtkRevealer         *progress_revealer;
  GMenu               *recent_menu;
  GMenu               *synthetic_menu;
  GMenu               *known_models_menu;
  GtkSpinner          *spinner;
  AdwStatusPage       *status_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwToastOverlay     *toast_overlay;
  AdwViewStack        *view_stack;
  GabnFacesView       *faces_view;
  GabnGroupsView      *groups_view;
  GabnTrainView       *train_view;
  GabnCompareView     *compare_view;
  GabnTeachView       *teach_view;

  /* Owned references */
  GabnSession         *session;
  GabnSettings        *settings;
  GtkNativeDialog     *chooser;
  gboolean             chooser_model;    /* the chooser opens a model (else a dataset) */
  GCancellable        *load_cancellable; /* dataset loads: each newer one replaces it */
  gboolean             shipped_offered;  /* the shipped GABN model was offered once */
  GCancellable        *cancellable;      /* model loads; both cancelled on dispose */
  char                *last_message;   /* the last toast, for tests */
};


/* gabn-window-open.c */
void gabn_window_load_model (GabnWindow *self, const char *path);
void gabn_window_run_chooser (GabnWindow *self, gboolean model);
void gabn_window_rebuild_recent_menu (GabnWindow *self);
/* gabn-window-dnd.c */
void gabn_window_init_dnd (GabnWindow *self);
/* gabn-window-actions.c */
void gabn_window_class_init_actions (GtkWidgetClass *widget_class);
void gabn_window_fill_synthetic_menu (GabnWindow *self);
void gabn_window_fill_known_models_menu (GabnWindow *self);

G_END_DECLS
