/* placeholder: filled in by its owner */
#pragma once
#include <gst/gst.h>
