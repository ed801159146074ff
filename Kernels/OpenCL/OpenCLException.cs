namespace GpuCnn.Kernels.OpenCL;

/// <summary>An OpenCL call failed; the message names the call and the error (e.g. CL_OUT_OF_RESOURCES).</summary>
public class OpenCLException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="status"/>.</summary>
    public OpenCLException(string call, int status, string? detail = null)
        : base($"{call} failed with {Cl.ErrorName(status)} ({status}){(detail is null ? "." : ": " + detail)}")
    {
        Call = call;
        Status = status;
    }

    /// <summary>The OpenCL function that failed.</summary>
    public string Call { get; }

    /// <summary>The status code it returned.</summary>
    public int Status { get; }
}
