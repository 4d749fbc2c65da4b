/* Run-time backend selection (models/engine/backend_select.h). */
#include "models/engine/backend_select.h"

#include <stdio.h>
#include <string.h>

#include "gpu/cuda.h"

int idc_device_parse(idc_device *out, const char *s, idc_err *err)
{
    static const char *names[] = {"cpu", "cuda", "auto"};
    for (int i = 0; i < 3; i++)
        if (s != NULL && strcmp(s, names[i]) == 0) {
            *out = (idc_device)i;
            return IDC_OK;
        }
    return idc_err_set(err, IDC_EINVAL, "--device: expected cpu, cuda or auto, got \"%s\"",
                       s == NULL ? "(null)" : s);
}

const char *idc_device_name(idc_device d)
{
    switch (d) {
    case IDC_DEVICE_CPU: return "cpu";
    case IDC_DEVICE_CUDA: return "cuda";
    case IDC_DEVICE_AUTO: return "auto";
    }
    return "?";
}

int idc_backend_select(const idc_backend **out, idc_device dev, idc_dtype dt, char *note, size_t note_len,
                       idc_err *err)
{
    *out = NULL;
    if (note != NULL && note_len > 0)
        note[0] = '\0';
    if (dev == IDC_DEVICE_CPU) {
        *out = idc_backend_cpu(dt);
        return IDC_OK;
    }
    if (dev != IDC_DEVICE_CUDA && dev != IDC_DEVICE_AUTO)
        return idc_err_set(err, IDC_EINVAL, "--device: unknown choice %d", (int)dev);
    idc_err why;
    why.msg[0] = '\0';
    const idc_backend *be = idc_backend_cuda(dt, &why);
    if (be != NULL) {
        *out = be;
        return IDC_OK;
    }
    if (dev == IDC_DEVICE_CUDA)
        return idc_err_set(err, IDC_EINVAL, "--device cuda: %s", why.msg);
    *out = idc_backend_cpu(dt);
    if (note != NULL && note_len > 0)
        snprintf(note, note_len, "--device auto: using cpu (cuda unavailable: %s)", why.msg);
    return IDC_OK;
}

int idc_device_resolve(idc_device *out, idc_device dev, char *note, size_t note_len, idc_err *err)
{
    *out = IDC_DEVICE_CPU;
    if (note != NULL && note_len > 0)
        note[0] = '\0';
    if (dev == IDC_DEVICE_CPU)
        return IDC_OK;
    if (dev != IDC_DEVICE_CUDA && dev != IDC_DEVICE_AUTO)
        return idc_err_set(err, IDC_EINVAL, "--device: unknown choice %d", (int)dev);
    idc_err why;
    why.msg[0] = '\0';
    if (idc_gpu_device_count(&why) > 0) {
        *out = IDC_DEVICE_CUDA;
        return IDC_OK;
    }
    if (dev == IDC_DEVICE_CUDA)
        return idc_err_set(err, IDC_EINVAL, "--device cuda: %s", why.msg);
    if (note != NULL && note_len > 0)
        snprintf(note, note_len, "--device auto: using cpu (cuda unavailable: %s)", why.msg);
    return IDC_OK;
}
