/* placeholder: filled in by its owner */
#pragma once
#include <glib-object.h>
#include "rtmpcore-prelude.h"
