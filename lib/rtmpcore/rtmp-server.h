/* placeholder: filled in by its owner */
#pragma once
#include <gio/gio.h>
#include "rtmpcore-prelude.h"
