#include "rtmp-auth.h"
