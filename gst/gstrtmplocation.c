#include "gstrtmplocation.h"
